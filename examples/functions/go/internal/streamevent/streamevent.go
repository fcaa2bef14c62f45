// Package streamevent reads a Kinesis or DynamoDB stream trigger's event for the stress
// functions (`thaw stress --via kinesis|dynamodb`): which records are marked poison, and the
// numbers they carry. A Kinesis record's data is JSON ({"poison":true,"mb":256,"hop":3}); a
// DynamoDB record's NewImage has the same names as attributes (BOOL, N).
package streamevent

import (
	"encoding/json"
	"strconv"
)

// Record is what one stream record says.
type Record struct {
	Poison bool
	MB     int
	Hop    int
}

type event struct {
	Records []struct {
		EventSource string `json:"eventSource"`
		Kinesis     struct {
			Data []byte `json:"data"`
		} `json:"kinesis"`
		DynamoDB struct {
			NewImage map[string]map[string]any `json:"NewImage"`
		} `json:"dynamodb"`
	} `json:"Records"`
}

// Parse returns the records of a stream event, and false when raw is not one.
func Parse(raw []byte) ([]Record, bool) {
	var e event
	if json.Unmarshal(raw, &e) != nil || len(e.Records) == 0 {
		return nil, false
	}
	var out []Record
	for _, r := range e.Records {
		switch r.EventSource {
		case "aws:kinesis":
			var d struct {
				Poison bool `json:"poison"`
				MB     int  `json:"mb"`
				Hop    int  `json:"hop"`
			}
			_ = json.Unmarshal(r.Kinesis.Data, &d)
			out = append(out, Record{Poison: d.Poison, MB: d.MB, Hop: d.Hop})
		case "aws:dynamodb":
			img := r.DynamoDB.NewImage
			_, poison := img["poison"]
			out = append(out, Record{Poison: poison, MB: number(img["mb"]), Hop: number(img["hop"])})
		default:
			return nil, false
		}
	}
	return out, true
}

// AnyPoison says whether a record of the event is marked poison.
func AnyPoison(records []Record) bool {
	for _, r := range records {
		if r.Poison {
			return true
		}
	}
	return false
}

func number(v map[string]any) int {
	s, _ := v["N"].(string)
	n, _ := strconv.Atoi(s)
	return n
}

// ddbconsumer takes a DynamoDB stream trigger's event, parsed by aws-lambda-go as
// events.DynamoDBEvent, and logs one line per record, readably:
//
//	INSERT Keys={Id: 101} NewImage={Id: 101, Message: "New item!"}
//	MODIFY Keys={Id: 101} OldImage={...} NewImage={...}
//	REMOVE Keys={Id: 101} OldImage={...}
//
// then "DDBRECORDS <n>". The seed's second trigger (examples/scenarios/dynamodb-stream).
package main

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

// value renders an attribute value as a reader would write it: numbers bare, strings quoted,
// sets in <>, lists in [], maps in {} with their names sorted.
func value(v events.DynamoDBAttributeValue) string {
	switch v.DataType() {
	case events.DataTypeString:
		return strconv.Quote(v.String())
	case events.DataTypeNumber:
		return v.Number()
	case events.DataTypeBinary:
		return fmt.Sprintf("0x%x", v.Binary())
	case events.DataTypeBoolean:
		return strconv.FormatBool(v.Boolean())
	case events.DataTypeNull:
		return "null"
	case events.DataTypeStringSet:
		quoted := make([]string, 0, len(v.StringSet()))
		for _, s := range v.StringSet() {
			quoted = append(quoted, strconv.Quote(s))
		}
		return "<" + strings.Join(quoted, ", ") + ">"
	case events.DataTypeNumberSet:
		return "<" + strings.Join(v.NumberSet(), ", ") + ">"
	case events.DataTypeBinarySet:
		parts := make([]string, 0, len(v.BinarySet()))
		for _, b := range v.BinarySet() {
			parts = append(parts, fmt.Sprintf("0x%x", b))
		}
		return "<" + strings.Join(parts, ", ") + ">"
	case events.DataTypeList:
		parts := make([]string, 0, len(v.List()))
		for _, e := range v.List() {
			parts = append(parts, value(e))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case events.DataTypeMap:
		return item(v.Map())
	}
	return "?"
}

func item(m map[string]events.DynamoDBAttributeValue) string {
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names))
	for _, name := range names {
		parts = append(parts, name+": "+value(m[name]))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func handler(ctx context.Context, event events.DynamoDBEvent) error {
	for _, r := range event.Records {
		line := r.EventName + " Keys=" + item(r.Change.Keys)
		if r.Change.OldImage != nil {
			line += " OldImage=" + item(r.Change.OldImage)
		}
		if r.Change.NewImage != nil {
			line += " NewImage=" + item(r.Change.NewImage)
		}
		fmt.Printf("%s (SequenceNumber %s)\n", line, r.Change.SequenceNumber)
	}
	fmt.Printf("DDBRECORDS %d\n", len(event.Records))
	return nil
}

func main() {
	lambda.Start(handler)
}

// Command ddbload measures thaw's DynamoDB and DynamoDB Streams (JSON 1.0) with SigV4-signed
// requests, each signed as it is sent, without an SDK in the way. One run, on a table of its own
// with a NEW_AND_OLD_IMAGES stream (every PutItem commits a stream record too):
//
//	put_c1, put_c8     PutItem of a new item (distinct keys, ~100 bytes), 1 and 8 clients
//	get_c1, get_c8     GetItem of those items by key, 1 and 8 clients
//	query_1000         Query of one partition key holding 1,000 items (one page), 1 client
//	stream_lag         PutItem sent -> its record returned by GetRecords, polling without a
//	                   pause from a LATEST iterator, one write at a time
//
// Prints one JSON line per measurement (loadgen's Summary shape) and a human line on stderr.
// bench/ddb_bench.py runs it beside its floors. See bench/README.md.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"thaw.dev/bench/internal/sigv4"
	"thaw.dev/bench/load/loadgen"
)

type client struct {
	endpoint string
	http     *http.Client
	creds    sigv4.Credentials
}

// call sends one signed JSON 1.0 request (target "DynamoDB_20120810.Op" or
// "DynamoDBStreams_20120810.Op") and decodes the answer into out when not nil.
func (c *client) call(target string, in, out any) error {
	body, _ := json.Marshal(in)
	req, _ := http.NewRequest("POST", c.endpoint+"/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", target)
	// Streams too are signed for "dynamodb", as the SDKs do.
	sigv4.Sign(req, body, c.creds, "us-east-1", "dynamodb", time.Now())
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		return fmt.Errorf("%s: HTTP %d: %s", target, res.StatusCode, data)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

func ddb(op string) string     { return "DynamoDB_20120810." + op }
func streams(op string) string { return "DynamoDBStreams_20120810." + op }

type attr map[string]string

func item(pk string, sk int, payload string) map[string]attr {
	return map[string]attr{"pk": {"S": pk}, "sk": {"N": strconv.Itoa(sk)}, "data": {"S": payload}}
}

// closed runs n requests (the first warmup of them unmeasured) from c clients in a closed loop;
// op(i) makes request i. Returns loadgen's summary of the measured ones.
func closed(name string, n, warmup, c int, op func(i int) error) *loadgen.Summary {
	var next atomic.Int64
	lat := make([]int64, n)
	var errs atomic.Int64
	var wg sync.WaitGroup
	var firstErr atomic.Value
	var measuredStart atomic.Int64
	base := time.Now()
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if i == warmup {
					measuredStart.Store(int64(time.Since(base)))
				}
				start := time.Now()
				err := op(i)
				lat[i] = int64(time.Since(start))
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(base) - time.Duration(measuredStart.Load())
	s := &loadgen.Summary{Name: name, Concurrency: c, Warmup: warmup, Mode: "closed",
		Errors: int(errs.Load())}
	s.Fill(lat[warmup:])
	s.N = n - warmup
	s.ElapsedS = elapsed.Seconds()
	s.ThroughputRPS = float64(s.N) / s.ElapsedS
	if e := firstErr.Load(); e != nil {
		fmt.Fprintln(os.Stderr, "ddbload:", name, "first error:", e)
	}
	return s
}

func report(s *loadgen.Summary) {
	out, _ := json.Marshal(s)
	fmt.Println(string(out))
	fmt.Fprintf(os.Stderr, "%-11s c=%d n=%d  p50 %7.1f us  p99 %7.1f us  %8.0f/s  errors %d\n",
		s.Name, s.Concurrency, s.N, s.P50us, s.P99us, s.ThroughputRPS, s.Errors)
}

func main() {
	endpoint := flag.String("endpoint", "http://127.0.0.1:9001", "thaw's base URL")
	n := flag.Int("n", 20000, "PutItem and GetItem requests per run, including warm-up")
	nq := flag.Int("nq", 300, "Query requests")
	ns := flag.Int("ns", 300, "stream lag samples")
	flag.Parse()

	cl := &client{strings.TrimRight(*endpoint, "/"), &http.Client{
		Timeout:   60 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 32},
	}, sigv4.FromEnv()}
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "ddbload:", err)
		os.Exit(2)
	}
	table := fmt.Sprintf("ddbload-%d", time.Now().UnixNano())
	var created struct {
		TableDescription struct{ LatestStreamArn string }
	}
	err := cl.call(ddb("CreateTable"), map[string]any{
		"TableName": table, "BillingMode": "PAY_PER_REQUEST",
		"AttributeDefinitions": []attr{{"AttributeName": "pk", "AttributeType": "S"},
			{"AttributeName": "sk", "AttributeType": "N"}},
		"KeySchema": []attr{{"AttributeName": "pk", "KeyType": "HASH"},
			{"AttributeName": "sk", "KeyType": "RANGE"}},
		"StreamSpecification": map[string]any{"StreamEnabled": true,
			"StreamViewType": "NEW_AND_OLD_IMAGES"},
	}, &created)
	if err != nil {
		fail(err)
	}
	for deadline := time.Now().Add(60 * time.Second); ; {
		var d struct{ Table struct{ TableStatus string } }
		if err := cl.call(ddb("DescribeTable"), map[string]string{"TableName": table}, &d); err != nil {
			fail(err)
		}
		if d.Table.TableStatus == "ACTIVE" {
			break
		}
		if time.Now().After(deadline) {
			fail(fmt.Errorf("table %s not ACTIVE after 60 s", table))
		}
		time.Sleep(50 * time.Millisecond)
	}
	payload := strings.Repeat("x", 80)
	warm := loadgen.DefaultWarmup(*n)

	for _, c := range []int{1, 8} {
		prefix := fmt.Sprintf("c%d-", c)
		report(closed(fmt.Sprintf("put_c%d", c), *n, warm, c, func(i int) error {
			return cl.call(ddb("PutItem"), map[string]any{"TableName": table,
				"Item": item(prefix+strconv.Itoa(i), 0, payload)}, nil)
		}))
	}
	for _, c := range []int{1, 8} {
		report(closed(fmt.Sprintf("get_c%d", c), *n, warm, c, func(i int) error {
			var got struct{ Item map[string]attr }
			key := map[string]attr{"pk": {"S": "c1-" + strconv.Itoa(i)}, "sk": {"N": "0"}}
			if err := cl.call(ddb("GetItem"), map[string]any{"TableName": table, "Key": key},
				&got); err != nil {
				return err
			}
			if got.Item == nil {
				return fmt.Errorf("GetItem c1-%d: no item", i)
			}
			return nil
		}))
	}

	// Query: one partition of 1,000 items, written 25 at a time.
	for start := 0; start < 1000; start += 25 {
		var requests []any
		for j := start; j < start+25; j++ {
			requests = append(requests, map[string]any{"PutRequest": map[string]any{
				"Item": item("query", j, payload)}})
		}
		if err := cl.call(ddb("BatchWriteItem"), map[string]any{
			"RequestItems": map[string]any{table: requests}}, nil); err != nil {
			fail(err)
		}
	}
	report(closed("query_1000", *nq, *nq/10, 1, func(int) error {
		var got struct {
			Count            int
			LastEvaluatedKey map[string]attr
		}
		err := cl.call(ddb("Query"), map[string]any{"TableName": table,
			"KeyConditionExpression":    "pk = :p",
			"ExpressionAttributeValues": map[string]attr{":p": {"S": "query"}}}, &got)
		if err == nil && (got.Count != 1000 || got.LastEvaluatedKey != nil) {
			err = fmt.Errorf("Query: %d items, LastEvaluatedKey %v", got.Count, got.LastEvaluatedKey)
		}
		return err
	}))

	// Stream lag: a LATEST iterator on the newest shard, then per sample one PutItem and
	// GetRecords until its record is there.
	var desc struct {
		StreamDescription struct{ Shards []struct{ ShardId string } }
	}
	arn := created.TableDescription.LatestStreamArn
	if err := cl.call(streams("DescribeStream"), map[string]string{"StreamArn": arn}, &desc); err != nil {
		fail(err)
	}
	shards := desc.StreamDescription.Shards
	var it struct{ ShardIterator string }
	if err := cl.call(streams("GetShardIterator"), map[string]string{"StreamArn": arn,
		"ShardId": shards[len(shards)-1].ShardId, "ShardIteratorType": "LATEST"}, &it); err != nil {
		fail(err)
	}
	iterator := it.ShardIterator
	polls := 0
	s := closed("stream_lag", *ns, *ns/10, 1, func(i int) error {
		if err := cl.call(ddb("PutItem"), map[string]any{"TableName": table,
			"Item": item("lag-"+strconv.Itoa(i), 0, payload)}, nil); err != nil {
			return err
		}
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
			var page struct {
				Records []struct {
					Dynamodb struct{ Keys map[string]attr }
				}
				NextShardIterator string
			}
			if err := cl.call(streams("GetRecords"), map[string]string{"ShardIterator": iterator},
				&page); err != nil {
				return err
			}
			polls++
			iterator = page.NextShardIterator
			for _, r := range page.Records {
				if r.Dynamodb.Keys["pk"]["S"] == "lag-"+strconv.Itoa(i) {
					return nil
				}
			}
		}
		return fmt.Errorf("record of lag-%d not readable after 10 s", i)
	})
	report(s)
	fmt.Fprintf(os.Stderr, "stream_lag: %.2f GetRecords per sample\n", float64(polls)/float64(*ns))
}

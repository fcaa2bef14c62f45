// snsconsumer takes an SNS trigger's event, parses it as aws-lambda-go's events.SNSEvent and
// logs the event as it came ("SNSRAW {json}"), what the SDK parsed ("SNSEVENT {json}",
// marshalled back), when the handler started ("SNSSTART <Unix ns>", for publish-to-handler
// latency) and whether the message's signature verifies with the certificate served at its
// SigningCertUrl ("SNSSIG ok" or "SNSSIG <why not>"), the check SNS's own SDKs make.
// A message starting with "fail" makes the invocation fail (async retries, destinations, DLQ).
package main

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

// verify checks a Notification's SignatureVersion 1 signature (RSA-SHA1 over SNS's canonical
// string) with the certificate at SigningCertUrl.
func verify(m events.SNSEntity) error {
	if m.SignatureVersion != "1" {
		return fmt.Errorf("SignatureVersion %q", m.SignatureVersion)
	}
	client := http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(m.SigningCertURL)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return fmt.Errorf("no PEM at %s (HTTP %d)", m.SigningCertURL, resp.StatusCode)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return err
	}
	key, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return errors.New("not an RSA certificate")
	}
	var b strings.Builder
	field := func(name, value string) { b.WriteString(name + "\n" + value + "\n") }
	field("Message", m.Message)
	field("MessageId", m.MessageID)
	if m.Subject != "" {
		field("Subject", m.Subject)
	}
	field("Timestamp", m.Timestamp.UTC().Format("2006-01-02T15:04:05.000Z"))
	field("TopicArn", m.TopicArn)
	field("Type", m.Type)
	sig, err := base64.StdEncoding.DecodeString(m.Signature)
	if err != nil {
		return err
	}
	digest := sha1.Sum([]byte(b.String()))
	return rsa.VerifyPKCS1v15(key, crypto.SHA1, digest[:], sig)
}

func handler(ctx context.Context, raw json.RawMessage) error {
	started := time.Now().UnixNano()
	var event events.SNSEvent
	if err := json.Unmarshal(raw, &event); err != nil {
		return err
	}
	fmt.Printf("SNSSTART %d\n", started)
	fmt.Printf("SNSRAW %s\n", raw)
	out, err := json.Marshal(event)
	if err != nil {
		return err
	}
	fmt.Printf("SNSEVENT %s\n", out)
	for _, r := range event.Records {
		if err := verify(r.SNS); err != nil {
			fmt.Printf("SNSSIG %v\n", err)
		} else {
			fmt.Printf("SNSSIG ok\n")
		}
		if strings.HasPrefix(r.SNS.Message, "fail") {
			return fmt.Errorf("message %s failed", r.SNS.MessageID)
		}
	}
	return nil
}

func main() {
	lambda.Start(handler)
}

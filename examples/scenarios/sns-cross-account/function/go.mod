module thaw.dev/scenarios/sns-cross-account

go 1.19

require github.com/aws/aws-lambda-go v1.54.0

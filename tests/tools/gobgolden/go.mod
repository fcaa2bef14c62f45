module thaw.dev/gobgolden

go 1.19

require github.com/aws/aws-lambda-go v1.54.0

module github.com/codios/codios

go 1.26

require (
	github.com/google/go-cmp v0.7.0
	github.com/spf13/pflag v1.1.0
)

require google.golang.org/protobuf v1.36.12

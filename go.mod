module github.com/hyparlist/hyparlist

go 1.25

require github.com/google/btree v1.1.3

require github.com/hashicorp/go-metrics v0.5.4

require github.com/armon/go-metrics v0.4.1 // indirect

require (
	github.com/hashicorp/go-immutable-radix v1.3.1 // indirect
	github.com/hashicorp/go-msgpack/v2 v2.1.5
	github.com/hashicorp/go-sockaddr v1.0.7
	github.com/hashicorp/golang-lru v0.5.0 // indirect
)

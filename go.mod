module github.com/hyparlist/hyparlist

go 1.25

require (
	github.com/armon/go-metrics v0.4.1 // indirect
	github.com/google/btree v1.1.3
	github.com/hashicorp/go-immutable-radix v1.0.0 // indirect
	github.com/hashicorp/go-msgpack/v2 v2.1.5 // indirect
	github.com/hashicorp/go-sockaddr v1.0.7 // indirect
	github.com/hashicorp/golang-lru v0.5.0 // indirect
)

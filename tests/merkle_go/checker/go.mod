module mledger.example/merkle_check

go 1.19

require github.com/transparency-dev/merkle v0.0.2

// Package bench holds the benchmark harness. Every benchmark runs the
// project and its baseline in the same process and run, and prints the
// ratio (project throughput ÷ baseline throughput):
//
//	task bench
//	go test ./bench -run '^$' -bench . -benchtime 2s
//
// Results, with the machine and command, are recorded in
// docs/benchmarks.md.
package bench

# SPDX-License-Identifier: MIT
#
# markdown.awk: turns the output of `bench/run --peers` (one or more runs,
# each opened by a `# run K` line; figures as `name value unit`) into the
# results table of docs/benchmarks.md. Each row is enfed's figure and the
# peer's from one run; with several runs, the run whose ratio is the
# median is shown (so a pair is never mixed across runs). The ratio is
# enfed's advantage: peer/enfed for times and bytes, enfed/peer for rates,
# so above 1 means enfed is better. Variables: cmd (the command line).

function group(x,    s, neg, i, out) {
	neg = x < 0
	s = sprintf("%.0f", neg ? -x : x)
	out = ""
	for (i = length(s); i > 3; i -= 3)
		out = "," substr(s, i - 2, 3) out
	return (neg ? "-" : "") substr(s, 1, i) out
}

function fmt(x, unit) {
	if (unit == "fraction")
		return sprintf("%.1f %%", 100 * x)
	if (x >= 1000)
		return group(x) " " unit
	if (x >= 10)
		return sprintf("%.0f %s", x, unit)
	if (x >= 1)
		return sprintf("%.2f %s", x, unit)
	return sprintf("%.3f %s", x, unit)
}

# label; enfed key; peer key; peer; hi|lo; goal (a ratio, or "" for none)
function row(label, ek, pk, peer, dir, goal,    r, n, k, adv, idx, i, j, t, m, e, p, gtxt, met) {
	n = 0
	for (r = 1; r <= runs; r++) {
		if (!((r, ek) in v) || !((r, pk) in v))
			continue
		e = v[r, ek]
		p = v[r, pk]
		adv[++n] = dir == "hi" ? (p > 0 ? e / p : 0) : (e > 0 ? p / e : 0)
		idx[n] = r
	}
	if (n == 0) {
		printf "| %s | — | %s: skipped | | |\n", label, peer
		return
	}
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && adv[j - 1] > adv[j]; j--) {
			t = adv[j]; adv[j] = adv[j - 1]; adv[j - 1] = t
			t = idx[j]; idx[j] = idx[j - 1]; idx[j - 1] = t
		}
	m = int((n + 1) / 2)
	r = idx[m]
	gtxt = goal == "" ? "reported" : "≥ " goal
	met = goal == "" ? "" : (adv[m] >= goal ? " — met" : " — **not met**")
	printf "| %s | %s | %s: %s | %.2f× | %s%s |\n", label,
	    fmt(v[r, ek], u[r, ek]), peer, fmt(v[r, pk], u[r, pk]), adv[m],
	    gtxt, met
}

/^# run / { runs = $3 + 0; next }
/^# machine: / { sub(/^# machine: /, ""); machine = $0; next }
/^# date: / { if (date == "") date = $3; next }
/^#/ { next }
NF >= 3 {
	if (runs == 0)
		runs = 1
	v[runs, $1] = $2 + 0
	u[runs, $1] = $3
}

END {
	printf "Machine: %s. Date: %s. Command: `%s`; ", machine, date, cmd
	if (runs > 1)
		printf "%d runs, each row from the run with the median ratio.\n\n", runs
	else
		printf "one run.\n\n"
	print "| figure | enfed | peer (same run) | enfed's advantage | goal |"
	print "|---|---|---|---|---|"
	row("Query, small result (1 day bucket), median latency, 1 client", "grpc_query_small_median_enfed", "grpc_query_small_median_grpc", "gRPC", "lo", "")
	row("Query, small result, p99 latency, 1 client", "grpc_query_small_p99_enfed", "grpc_query_small_p99_grpc", "gRPC", "lo", "")
	row("Query, small result, 16 concurrent clients", "grpc_query_small_c16_enfed", "grpc_query_small_c16_grpc", "gRPC", "hi", "1")
	row("Query, a day of 5-minute points (288), median latency", "grpc_query_day288_median_enfed", "grpc_query_day288_median_grpc", "gRPC", "lo", "")
	row("Query, a day of 5-minute points, p99 latency", "grpc_query_day288_p99_enfed", "grpc_query_day288_p99_grpc", "gRPC", "lo", "")
	row("Query, a day of 5-minute points, 16 concurrent clients", "grpc_query_day288_c16_enfed", "grpc_query_day288_c16_grpc", "gRPC", "hi", "1")
	row("Batched Ingest (100 series × 1,000 points a call, synchronous=FULL)", "grpc_ingest_enfed", "grpc_ingest_grpc", "gRPC", "hi", "1")
	row("Batched Ingest, same batches, against the store alone (in-process node_store_append)", "grpc_ingest_enfed", "grpc_ingest_store", "store alone", "hi", "0.95")
	row("Live stream, 1 point a frame, delivered", "grpc_stream_b1_delivered_enfed", "grpc_stream_b1_delivered_grpc", "gRPC", "hi", "1.5")
	row("Live stream, 100 points a frame, delivered", "grpc_stream_b100_delivered_enfed", "grpc_stream_b100_delivered_grpc", "gRPC", "hi", "1.5")
	row("Live stream, 1 point a frame, capacity (≤ 1 % lost)", "grpc_stream_b1_capacity_enfed", "grpc_stream_b1_capacity_grpc", "gRPC", "hi", "")
	row("Live stream, 100 points a frame, capacity (≤ 1 % lost)", "grpc_stream_b100_capacity_enfed", "grpc_stream_b100_capacity_grpc", "gRPC", "hi", "1")
	row("Live stream, publish to receipt, median (1 point, 2 kHz)", "grpc_stream_b1_latency_median_enfed", "grpc_stream_b1_latency_median_grpc", "gRPC", "lo", "")
	row("Live stream, publish to receipt, p99 (1 point, 2 kHz)", "grpc_stream_b1_latency_p99_enfed", "grpc_stream_b1_latency_p99_grpc", "gRPC", "lo", "")
	row("Live stream, publish to receipt, median (100 points, 2 kHz)", "grpc_stream_b100_latency_median_enfed", "grpc_stream_b100_latency_median_grpc", "gRPC", "lo", "")
	row("Live points, 1 a message, delivered (PUB/SUB vs QoS 0)", "mqtt_b1_enfed_msgs", "mqtt_b1_qos0_msgs", "mosquitto QoS 0", "hi", "1")
	row("Live points, 100 a message, delivered (PUB/SUB vs QoS 0)", "mqtt_b100_enfed_msgs", "mqtt_b100_qos0_msgs", "mosquitto QoS 0", "hi", "1")
	row("Live points, 1 a message, capacity (≤ 1 % lost)", "mqtt_b1_enfed_capacity", "mqtt_b1_qos0_capacity", "mosquitto QoS 0", "hi", "")
	row("Live points, 100 a message, capacity (≤ 1 % lost)", "mqtt_b100_enfed_capacity", "mqtt_b100_qos0_capacity", "mosquitto QoS 0", "hi", "")
	row("Lossless, 1 point a message (node + back-fill vs QoS 1)", "mqtt_b1_enfed_follow_points", "mqtt_b1_qos1_points", "mosquitto QoS 1", "hi", "1")
	row("Lossless, 100 points a message (node + back-fill vs QoS 1)", "mqtt_b100_enfed_follow_points", "mqtt_b100_qos1_points", "mosquitto QoS 1", "hi", "1")
	row("Durable, 1,000 collectors, 1 point a call (Ingest, fsync, group commit vs QoS 1 with persistence)", "mqtt_d1000_b1_enfed_durable_points", "mqtt_d1000_b1_qos1_durable_points", "mosquitto QoS 1", "hi", "1")
	row("Durable, 1,000 collectors, 12 points a call", "mqtt_d1000_b12_enfed_durable_points", "mqtt_d1000_b12_qos1_durable_points", "mosquitto QoS 1", "hi", "1")
	row("Durable, 1,000 collectors, 1 point a call, p50 latency", "mqtt_d1000_b1_enfed_durable_p50", "mqtt_d1000_b1_qos1_durable_p50", "mosquitto QoS 1", "lo", "")
	row("Durable, 1,000 collectors, 1 point a call, p99 latency", "mqtt_d1000_b1_enfed_durable_p99", "mqtt_d1000_b1_qos1_durable_p99", "mosquitto QoS 1", "lo", "")
	row("Durable, 1,000 collectors, 12 points a call, p99 latency", "mqtt_d1000_b12_enfed_durable_p99", "mqtt_d1000_b12_qos1_durable_p99", "mosquitto QoS 1", "lo", "")
	row("Durable, 1 point a call: group commit vs one commit a call (--commit-wait-ms=0)", "mqtt_d1000_b1_enfed_durable_points", "mqtt_d1000_b1_enfed_durable_cw0_points", "enfed before", "hi", "")
	row("Ingest, " group(v[1, "tsdb_points"]) " points", "tsdb_ingest_enfed", "tsdb_ingest_influxdb", "InfluxDB", "hi", "1")
	row("Ingest, same points", "tsdb_ingest_enfed", "tsdb_ingest_sqlite", "plain sqlite", "hi", "1")
	row("Disk per point", "tsdb_disk_enfed", "tsdb_disk_influxdb", "InfluxDB", "lo", "1")
	row("Disk per point", "tsdb_disk_enfed", "tsdb_disk_sqlite", "plain sqlite", "lo", "1")
	row("A year of 5-minute data to Paris days, median", "tsdb_query_year_days_enfed", "tsdb_query_year_days_influxdb", "InfluxDB", "lo", "1")
	row("A year of 5-minute data to Paris days, median", "tsdb_query_year_days_enfed", "tsdb_query_year_days_sqlite", "plain sqlite", "lo", "1")
	print ""
	print "Messages lost (same runs): enfed PUB/SUB " \
	    fmt(v[1, "mqtt_b1_enfed_lost"], "fraction") " (1 point) and " \
	    fmt(v[1, "mqtt_b100_enfed_lost"], "fraction") " (100 points), every loss reported as a gap; " \
	    "mosquitto QoS 0 " fmt(v[1, "mqtt_b1_qos0_lost"], "fraction") " and " \
	    fmt(v[1, "mqtt_b100_qos0_lost"], "fraction") "; QoS 1 " \
	    fmt(v[1, "mqtt_b1_qos1_lost"], "fraction") " and " fmt(v[1, "mqtt_b100_qos1_lost"], "fraction") \
	    "; enfed through a node with back-fill " fmt(v[1, "mqtt_b1_enfed_follow_lost"], "fraction") \
	    " and " fmt(v[1, "mqtt_b100_enfed_follow_lost"], "fraction") " (run 1)."
}

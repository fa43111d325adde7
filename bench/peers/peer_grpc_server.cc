// SPDX-License-Identifier: MIT
//
// peer_grpc_server.cc: the gRPC C++ peer of fed-node for bench/peers.
//
//   peer_grpc_server ADDR DATA_DIR
//
// Serves SeriesStore's Query and Ingest with gRPC's synchronous server on
// ADDR (127.0.0.1:PORT), answered by fed-node's own store (node_store,
// synchronous=FULL, the node's defaults) opened on DATA_DIR, so that the
// figures compare the RPC stacks and not the storage. The requests and
// replies are the C++ messages generated from series.proto; each call
// converts them to and from the protobuf-c structs the store takes (the
// arrays are borrowed in, copied out). Stops on SIGTERM or SIGINT.

#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "enfed/v1/series.grpc.pb.h"

// store.h is C11: its one atomic (a scrub's stop flag, unused here) is
// C's atomic_int, which C++ spells std::atomic_int (same layout).
#include <atomic>
using std::atomic_int;

extern "C" {
#include "store.h"
}

namespace
{

grpc::Status
to_grpc(fed_status st, const node_store_err &err)
{
	// fed_status is numbered like gRPC's codes.
	return grpc::Status(static_cast<grpc::StatusCode>(st), err.msg);
}

void
copy_result(const Enfed__V1__SeriesResult *r, enfed::v1::SeriesResult *out)
{
	out->set_series_id(r->series_id);
	out->set_unit(static_cast<enfed::v1::Unit>(r->unit));
	out->mutable_ts_ms()->Add(r->ts_ms, r->ts_ms + r->n_ts_ms);
	out->mutable_value()->Add(r->value, r->value + r->n_value);
	out->mutable_coverage()->Add(r->coverage, r->coverage + r->n_coverage);
	out->mutable_n_points()->Add(r->n_points, r->n_points + r->n_n_points);
}

class store_service final : public enfed::v1::SeriesStore::Service
{
    public:
	explicit store_service(node_store *st)
	    : st_(st)
	{
	}

	grpc::Status Query(grpc::ServerContext *,
	    const enfed::v1::QueryRequest *req,
	    enfed::v1::QueryResponse *rep) override
	{
		std::vector<char *> ids;
		for (const auto &id : req->series_ids())
			ids.push_back(const_cast<char *>(id.c_str()));
		Enfed__V1__TimeRange r = ENFED__V1__TIME_RANGE__INIT;
		r.from_ms = req->range().from_ms();
		r.to_ms = req->range().to_ms();
		Enfed__V1__QueryRequest q = ENFED__V1__QUERY_REQUEST__INIT;
		q.n_series_ids = ids.size();
		q.series_ids = ids.data();
		q.range = &r;
		q.step = static_cast<Enfed__V1__Step>(req->step());
		q.agg = static_cast<Enfed__V1__Aggregate>(req->agg());
		q.tz = const_cast<char *>(req->tz().c_str());
		Enfed__V1__QueryResponse *out = nullptr;
		node_store_err err = {{0}};
		fed_status st = node_store_query(st_, &q, &out, &err);
		if (st != FED_OK)
			return to_grpc(st, err);
		for (size_t i = 0; i < out->n_results; i++)
			copy_result(out->results[i], rep->add_results());
		rep->set_tz(out->tz);
		rep->mutable_bucket_end_ms()->Add(out->bucket_end_ms,
		    out->bucket_end_ms + out->n_bucket_end_ms);
		node_store_query_free(out);
		return grpc::Status::OK;
	}

	grpc::Status Ingest(grpc::ServerContext *,
	    const enfed::v1::IngestRequest *req,
	    enfed::v1::IngestResponse *rep) override
	{
		size_t n = static_cast<size_t>(req->series_size());
		std::vector<Enfed__V1__SeriesPoints> sp(n);
		std::vector<Enfed__V1__SeriesPoints *> list(n);
		for (size_t i = 0; i < n; i++) {
			const auto &in = req->series(static_cast<int>(i));
			enfed__v1__series_points__init(&sp[i]);
			sp[i].series_id
			    = const_cast<char *>(in.series_id().c_str());
			sp[i].n_ts_ms = static_cast<size_t>(in.ts_ms_size());
			sp[i].ts_ms = const_cast<int64_t *>(in.ts_ms().data());
			sp[i].n_value = static_cast<size_t>(in.value_size());
			sp[i].value = const_cast<double *>(in.value().data());
			list[i] = &sp[i];
		}
		Enfed__V1__IngestRequest q = ENFED__V1__INGEST_REQUEST__INIT;
		q.n_series = n;
		q.series = list.data();
		node_store_counts counts = {0, 0};
		node_store_err err = {{0}};
		fed_status st = node_store_append(st_, &q, &counts, &err);
		if (st != FED_OK)
			return to_grpc(st, err);
		rep->set_n_stored(counts.n_stored);
		rep->set_n_duplicate(counts.n_duplicate);
		return grpc::Status::OK;
	}

    private:
	node_store *st_;
};

int
wait_for_signal()
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	int sig = 0;
	sigwait(&set, &sig);
	return sig;
}

} // namespace

int
main(int argc, char **argv)
{
	if (argc != 3) {
		std::fprintf(
		    stderr, "usage: peer_grpc_server ADDR DATA_DIR\n");
		return 2;
	}
	// Blocked before gRPC starts its threads, so that sigwait gets them.
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, nullptr);
	node_store_opts so;
	node_store_opts_init(&so);
	node_store *st = nullptr;
	node_store_err err = {{0}};
	if (node_store_open(argv[2], &so, &st, &err) != FED_OK) {
		std::fprintf(
		    stderr, "peer_grpc_server: %s: %s\n", argv[2], err.msg);
		return 1;
	}
	store_service svc(st);
	grpc::ServerBuilder b;
	int bound = 0;
	b.AddListeningPort(argv[1], grpc::InsecureServerCredentials(), &bound);
	b.SetMaxReceiveMessageSize(64 << 20);
	b.RegisterService(&svc);
	std::unique_ptr<grpc::Server> server = b.BuildAndStart();
	if (!server || bound == 0) {
		std::fprintf(
		    stderr, "peer_grpc_server: cannot bind %s\n", argv[1]);
		node_store_close(st);
		return 1;
	}
	wait_for_signal();
	server->Shutdown(std::chrono::system_clock::now()
	    + std::chrono::milliseconds(2000));
	server->Wait();
	node_store_close(st);
	return 0;
}

// SPDX-License-Identifier: MIT
//
// peer_grpc_client.cc: the gRPC C++ side of bench/peers behind
// peer_grpc.h: a SeriesStore client (Query, Ingest) for the server of
// peer_grpc_server.cc, and a LiveStream server and subscriber in the
// benchmark's own process, the gRPC counterpart of fed_stream's PUB/SUB.
// Messages are the C++ classes generated from the project's .proto files.

#include "peer_grpc.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "enfed/v1/series.grpc.pb.h"
#include "peer_stream.grpc.pb.h"

using std::chrono::milliseconds;
using std::chrono::system_clock;

struct peer_grpc_client {
	std::shared_ptr<grpc::Channel> ch;
	std::unique_ptr<enfed::v1::SeriesStore::Stub> stub;
};

static std::shared_ptr<grpc::Channel>
connect(const char *target, int wait_ms)
{
	grpc::ChannelArguments args;
	args.SetMaxReceiveMessageSize(64 << 20);
	args.SetMaxSendMessageSize(64 << 20);
	// A channel of its own (not shared through the subchannel pool), as
	// each enfed client has its own socket.
	args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
	auto ch = grpc::CreateCustomChannel(
	    target, grpc::InsecureChannelCredentials(), args);
	if (!ch->WaitForConnected(system_clock::now() + milliseconds(wait_ms)))
		return nullptr;
	return ch;
}

peer_grpc_client *
peer_grpc_client_new(const char *target, int wait_ms)
{
	auto ch = connect(target, wait_ms);
	if (!ch)
		return nullptr;
	auto *c = new peer_grpc_client;
	c->ch = ch;
	c->stub = enfed::v1::SeriesStore::NewStub(ch);
	return c;
}

void
peer_grpc_client_free(peer_grpc_client *c)
{
	delete c;
}

int
peer_grpc_query(peer_grpc_client *c, const peer_query *q, size_t *n_values)
{
	enfed::v1::QueryRequest req;
	req.add_series_ids(q->series_id);
	req.mutable_range()->set_from_ms(q->from_ms);
	req.mutable_range()->set_to_ms(q->to_ms);
	req.set_step(static_cast<enfed::v1::Step>(q->step));
	enfed::v1::QueryResponse rep;
	grpc::ClientContext ctx;
	ctx.set_deadline(system_clock::now() + milliseconds(20000));
	grpc::Status st = c->stub->Query(&ctx, req, &rep);
	if (!st.ok())
		return st.error_code() ? st.error_code() : 2;
	*n_values = rep.results_size() ? rep.results(0).value_size() : 0;
	return 0;
}

int
peer_grpc_ingest(
    peer_grpc_client *c, const peer_ingest *in, uint64_t *n_stored)
{
	enfed::v1::IngestRequest req;
	for (size_t i = 0; i < in->n_series; i++) {
		auto *sp = req.add_series();
		sp->set_series_id(in->ids[i]);
		sp->mutable_ts_ms()->Add(in->ts_ms[i], in->ts_ms[i] + in->n);
		sp->mutable_value()->Add(in->value[i], in->value[i] + in->n);
	}
	enfed::v1::IngestResponse rep;
	grpc::ClientContext ctx;
	ctx.set_deadline(system_clock::now() + milliseconds(120000));
	grpc::Status st = c->stub->Ingest(&ctx, req, &rep);
	if (!st.ok())
		return st.error_code() ? st.error_code() : 2;
	*n_stored = rep.n_stored();
	return 0;
}

// --- LiveStream ---------------------------------------------------------

struct peer_grpc_pub final : enfed::bench::LiveStream::Service {
	std::mutex mu;
	std::condition_variable cv;
	std::deque<enfed::v1::StreamFrame> queue;
	size_t capacity = 0;
	bool closing = false;
	uint64_t seq = 0;
	std::unique_ptr<grpc::Server> server;

	grpc::Status Subscribe(grpc::ServerContext *ctx,
	    const enfed::bench::SubscribeRequest *,
	    grpc::ServerWriter<enfed::v1::StreamFrame> *w) override
	{
		ctx->set_compression_algorithm(GRPC_COMPRESS_NONE);
		w->SendInitialMetadata();
		for (;;) {
			std::unique_lock<std::mutex> lk(mu);
			cv.wait(lk, [&] { return closing || !queue.empty(); });
			if (queue.empty())
				return grpc::Status::OK;
			enfed::v1::StreamFrame f = std::move(queue.front());
			queue.pop_front();
			lk.unlock();
			cv.notify_all();
			if (ctx->IsCancelled() || !w->Write(f))
				return grpc::Status::CANCELLED;
		}
	}
};

peer_grpc_pub *
peer_grpc_pub_new(int port, size_t capacity)
{
	auto *p = new peer_grpc_pub;
	p->capacity = capacity;
	grpc::ServerBuilder b;
	int bound = 0;
	std::string addr = "127.0.0.1:" + std::to_string(port);
	b.AddListeningPort(addr, grpc::InsecureServerCredentials(), &bound);
	b.RegisterService(p);
	p->server = b.BuildAndStart();
	if (!p->server || bound == 0) {
		delete p;
		return nullptr;
	}
	return p;
}

int
peer_grpc_publish(peer_grpc_pub *p, const char *series_id,
    const int64_t *ts_ms, const double *value, size_t n, int timeout_ms)
{
	enfed::v1::StreamFrame f;
	f.set_series_id(series_id);
	f.mutable_ts_ms()->Add(ts_ms, ts_ms + n);
	f.mutable_value()->Add(value, value + n);
	std::unique_lock<std::mutex> lk(p->mu);
	if (!p->cv.wait_for(lk, milliseconds(timeout_ms),
	        [&] { return p->closing || p->queue.size() < p->capacity; })
	    || p->closing)
		return -1;
	f.set_seq(++p->seq);
	p->queue.push_back(std::move(f));
	lk.unlock();
	p->cv.notify_all();
	return 0;
}

void
peer_grpc_pub_free(peer_grpc_pub *p)
{
	if (p == nullptr)
		return;
	{
		std::unique_lock<std::mutex> lk(p->mu);
		p->cv.wait_for(
		    lk, milliseconds(2000), [&] { return p->queue.empty(); });
		p->closing = true;
		p->queue.clear();
	}
	p->cv.notify_all();
	p->server->Shutdown(system_clock::now() + milliseconds(2000));
	p->server->Wait();
	delete p;
}

struct peer_grpc_sub {
	std::shared_ptr<grpc::Channel> ch;
	std::unique_ptr<enfed::bench::LiveStream::Stub> stub;
	grpc::ClientContext ctx;
	std::unique_ptr<grpc::ClientReader<enfed::v1::StreamFrame>> reader;
	std::thread th;
};

static void
sub_loop(peer_grpc_sub *s, peer_grpc_frame_cb cb, void *arg)
{
	enfed::v1::StreamFrame f;
	while (s->reader->Read(&f))
		cb(f.seq(), f.ts_ms().data(), f.value().data(),
		    static_cast<size_t>(f.ts_ms_size()), arg);
	s->reader->Finish();
}

peer_grpc_sub *
peer_grpc_sub_new(const char *target, const char *pattern,
    peer_grpc_frame_cb cb, void *arg, int wait_ms)
{
	auto ch = connect(target, wait_ms);
	if (!ch)
		return nullptr;
	auto *s = new peer_grpc_sub;
	s->ch = ch;
	s->stub = enfed::bench::LiveStream::NewStub(ch);
	enfed::bench::SubscribeRequest req;
	req.set_pattern(pattern);
	// Bounded like every loop of the benchmarks: a stream ends in 10 min.
	s->ctx.set_deadline(system_clock::now() + milliseconds(600000));
	s->reader = s->stub->Subscribe(&s->ctx, req);
	s->reader->WaitForInitialMetadata();
	s->th = std::thread(sub_loop, s, cb, arg);
	return s;
}

void
peer_grpc_sub_free(peer_grpc_sub *s)
{
	if (s == nullptr)
		return;
	s->ctx.TryCancel();
	s->th.join();
	delete s;
}

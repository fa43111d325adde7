// SPDX-License-Identifier: MIT
//
// fed-edge-mqtt: an MQTT broker to a fed-node. Subscribes (QoS 1, a
// persistent session) to the topics of a mapping file, decodes what the
// common Linky readers publish there (Tasmota's Teleinfo driver,
// teleinfo2mqtt, a plain number per topic from ESPHome or Home Assistant)
// and hands the points to the sender (edge_sender: durable spool first,
// then Ingest; retried while the node is away), as fed-edge-tic and
// fed-edge-envoy do. docs/edge.md describes the options and the mapping
// file; docs/integrations.md gives a recipe per reader.
//
// SIGTERM or SIGINT: leaves the broker (the session and what it queues
// meanwhile stay there), spools what is held in memory, stops (exit 0).

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "edge_main.h"
#include "fed/cfg.h"
#include "fed/log.h"
#include "mqtt_client.h"
#include "mqtt_collect.h"
#include "mqtt_map.h"

struct mqtt_cfg {
	edge_main_cfg common; // node, token, site, owner, sender, log level
	char *broker;
	char *broker_ca;
	char *broker_cert;
	char *broker_key;
	char *username;
	char *password;
	char *client_id;
	char *mapping;
	int64_t keepalive_ms;
};

#define C struct mqtt_cfg
static const fed_cfg_opt mqtt_opts[] = {
    EDGE_MAIN_NODE_OPTS(C, common),
    EDGE_MAIN_SITE_OPT(C, common, "home"),
    EDGE_MAIN_OWNER_OPT(C, common),
    FED_CFG_OPT_STRING_LEN(C, broker, "broker", "mqtt://127.0.0.1:1883", 8,
        1000, "the MQTT broker: mqtt://host[:port] or mqtts://host[:port]"),
    FED_CFG_OPT_STRING(C, broker_ca, "broker-ca", NULL,
        "mqtts://: the CA (PEM) of the broker's certificate (default: "
        "the system's)"),
    FED_CFG_OPT_STRING(C, broker_cert, "broker-cert", NULL,
        "mqtts://: this client's certificate (PEM), if the broker asks"),
    FED_CFG_OPT_STRING(
        C, broker_key, "broker-key", NULL, "mqtts://: its private key (PEM)"),
    FED_CFG_OPT_STRING_LEN(C, username, "broker-username", NULL, 1, 1000,
        "user name on the broker"),
    FED_CFG_OPT_STRING_LEN(C, password, "broker-password", NULL, 0, 4000,
        "its password (@FILE reads a file)"),
    FED_CFG_OPT_STRING_LEN(C, client_id, "client-id", NULL, 1, 64,
        "MQTT client id, stable across restarts (the broker keeps its "
        "session; default fed-edge-mqtt-<site>)"),
    FED_CFG_OPT_STRING_LEN(C, mapping, "mapping", NULL, 1, 4000,
        "mapping file: TOPIC-FILTER DECODER SERIES [KEY=VALUE ...] a "
        "line (docs/edge.md)"),
    FED_CFG_OPT_DURATION(C, keepalive_ms, "keepalive", "30s", 5000, 3600000,
        "MQTT keepalive: a dead broker is noticed within 1.5 times it"),
    EDGE_MAIN_END_OPTS(C, common, "./mqtt-spool",
        "unused (the broker's messages do not end)"),
};
#undef C

static const fed_cfg_spec mqtt_spec = {"fed-edge-mqtt", "[OPTION]...",
    "Sends the readings that Linky readers publish on an MQTT broker "
    "(Tasmota, teleinfo2mqtt, ESPHome, Home Assistant) to a fed-node.",
    mqtt_opts, FED_CFG_N(mqtt_opts), 0};

static void
log_summary(
    const mqtt_collect *col, const mqtt_client_stats *cs, edge_sender *s)
{
	mqtt_collect_stats st;
	mqtt_collect_get_stats(col, &st);
	edge_main_summary(s, "mqtt",
	    "messages=%llu spooled=%llu stale=%llu ignored=%llu invalid=%llu "
	    "unmapped=%llu retained=%llu points=%llu connects=%llu",
	    (unsigned long long) st.n_messages,
	    (unsigned long long) st.n_result[MQTT_SPOOLED],
	    (unsigned long long) st.n_result[MQTT_STALE],
	    (unsigned long long) st.n_result[MQTT_IGNORED],
	    (unsigned long long) st.n_result[MQTT_INVALID],
	    (unsigned long long) st.n_result[MQTT_UNMAPPED],
	    (unsigned long long) st.n_result[MQTT_RETAINED],
	    (unsigned long long) st.n_points,
	    (unsigned long long) cs->n_connects);
}

static int
run(const void *vcfg, edge_sender *s)
{
	const struct mqtt_cfg *cfg = vcfg;
	static mqtt_map map;
	char err[600];
	fed_status st = mqtt_map_load(cfg->mapping, &map, err, sizeof(err));
	if (st != FED_OK) {
		fed_log(FED_LOG_ERR, "mqtt", "--mapping: %s", err);
		return 1;
	}
	char id[80];
	snprintf(id, sizeof(id), "fed-edge-mqtt-%s", cfg->common.site);
	mqtt_collect_opts co = {.site = cfg->common.site,
	    .owner = cfg->common.owner,
	    .map = &map,
	    .sender = s};
	mqtt_collect *col = NULL;
	int rc = 1;
	if (mqtt_collect_new(&co, &col) == FED_OK) {
		mqtt_client_opts o = {.broker = cfg->broker,
		    .ca = cfg->broker_ca,
		    .cert = cfg->broker_cert,
		    .key = cfg->broker_key,
		    .username = cfg->username,
		    .password = cfg->password,
		    .client_id = cfg->client_id != NULL ? cfg->client_id : id,
		    .keepalive_s = (int) (cfg->keepalive_ms / 1000),
		    .map = &map,
		    .collect = col,
		    .stopping = edge_main_stopping};
		mqtt_client_stats cs;
		rc = mqtt_client_run(&o, &cs) == FED_OK ? 0 : 1;
		log_summary(col, &cs, s);
	}
	mqtt_collect_free(col);
	mqtt_map_fini(&map);
	return rc;
}

// The options the table cannot check: -1 when they go together.
static int
check(const void *vcfg)
{
	const struct mqtt_cfg *cfg = vcfg;
	if (cfg->mapping == NULL) {
		fprintf(stderr, "fed-edge-mqtt: --mapping is required\n");
		return 2;
	}
	bool tls = strncmp(cfg->broker, "mqtts://", 8) == 0;
	if (!tls && strncmp(cfg->broker, "mqtt://", 7) != 0) {
		fprintf(stderr,
		    "fed-edge-mqtt: --broker: mqtt://host[:port] or "
		    "mqtts://host[:port]\n");
		return 2;
	}
	if (!tls
	    && (cfg->broker_ca != NULL || cfg->broker_cert != NULL
	        || cfg->broker_key != NULL)) {
		fprintf(stderr,
		    "fed-edge-mqtt: --broker-ca, --broker-cert and "
		    "--broker-key go with an mqtts:// broker\n");
		return 2;
	}
	if ((cfg->broker_cert == NULL) != (cfg->broker_key == NULL)) {
		fprintf(stderr,
		    "fed-edge-mqtt: --broker-cert and --broker-key go "
		    "together\n");
		return 2;
	}
	if (cfg->password != NULL && cfg->username == NULL) {
		fprintf(stderr,
		    "fed-edge-mqtt: --broker-password needs "
		    "--broker-username\n");
		return 2;
	}
	return -1;
}

int
main(int argc, char **argv)
{
	static const edge_main_spec m = {
	    &mqtt_spec, offsetof(struct mqtt_cfg, common), "mqtt", check, run};
	struct mqtt_cfg cfg;
	return edge_main_run(&m, &cfg, argc, argv);
}

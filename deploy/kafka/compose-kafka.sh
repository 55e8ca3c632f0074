#!/bin/sh
# docker-compose's Kafka (apache/kafka image): the same security as deploy/kafka.sh — SASL/SCRAM-SHA-512
# for clients, a SCRAM user per principal created when the volume is first formatted, StandardAuthorizer
# with no access unless an ACL allows it (the one-shot `kafka-acls` container applies them), and SASL/PLAIN
# with a per-start random password on the controller listener, which only the broker itself uses.
# Passwords come from the environment: KAFKA_<PRINCIPAL>_PASSWORD for every name in KAFKA_PRINCIPALS.
# KAFKA_HOST_ADVERTISED: the host listener's address as clients outside the network reach it (the tests'
# testcontainers bind it to a free port: deploy/test_infra.py).
set -eu
CONF=/tmp/server.properties
DATA=/var/lib/kafka/data

jaas_scram="org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\" password=\"$KAFKA_ADMIN_PASSWORD\";"
controller=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
umask 077
cat > "$CONF" <<PROPERTIES
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@kafka:9093
listeners=BROKER://:9092,HOST://:29092,CONTROLLER://:9093
advertised.listeners=BROKER://kafka:9092,HOST://${KAFKA_HOST_ADVERTISED:-localhost:29092}
controller.listener.names=CONTROLLER
inter.broker.listener.name=BROKER
listener.security.protocol.map=BROKER:SASL_PLAINTEXT,HOST:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.broker.scram-sha-512.sasl.jaas.config=$jaas_scram
listener.name.host.scram-sha-512.sasl.jaas.config=$jaas_scram
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="controller" password="$controller" user_controller="$controller";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:admin;User:controller
allow.everyone.if.no.acl.found=false
log.dirs=$DATA
num.partitions=6
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
PROPERTIES

# For the healthcheck (and `docker compose exec kafka ...` tools): the super user's client settings.
cat > /tmp/admin.properties <<PROPERTIES
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=$jaas_scram
PROPERTIES

if [ ! -f "$DATA/meta.properties" ]; then
  set --
  for name in $KAFKA_PRINCIPALS; do
    var="KAFKA_$(echo "$name" | tr '[:lower:]' '[:upper:]')_PASSWORD"
    eval "password=\${$var:-}"
    [ -n "$password" ] || { echo "compose-kafka.sh: set $var" >&2; exit 1; }
    set -- "$@" --add-scram "SCRAM-SHA-512=[name=$name,password=\"$password\"]"
  done
  /opt/kafka/bin/kafka-storage.sh format -t "$(/opt/kafka/bin/kafka-storage.sh random-uuid)" -c "$CONF" "$@"
fi
exec /opt/kafka/bin/kafka-server-start.sh "$CONF"

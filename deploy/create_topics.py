"""Create every topic the system uses (idempotent): partitions and retention from libs/contracts.

Authenticates as $KAFKA_USERNAME: deploy scripts run it as the super user (only `admin` creates topics).
"""

import argparse
import asyncio

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from tenacity import retry, stop_after_delay, wait_fixed

from contracts.topics import all_topics
from spine.settings import InfraSettings


@retry(stop=stop_after_delay(60), wait=wait_fixed(0.5), reraise=True)
async def create(bootstrap: str, partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000,
                                **InfraSettings().kafka_client_options())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(name, num_partitions=partitions, replication_factor=1, topic_configs=config)
            for name, config in all_topics().items()
            if name not in existing
        ]
        if wanted:
            try:
                await admin.create_topics(wanted)
            except TopicAlreadyExistsError:
                pass
    finally:
        await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--acls", action="store_true",
                        help="then apply the ACLs (python -m deploy.kafka_acls) in the same process")
    args = parser.parse_args()
    asyncio.run(create(args.bootstrap, args.partitions))
    if args.acls:
        from deploy import kafka_acls  # needs the repository root on sys.path: run with -m deploy.create_topics

        raise SystemExit(kafka_acls.main(["--bootstrap", args.bootstrap]))

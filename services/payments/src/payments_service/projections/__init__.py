"""Read models of the payments service, built from Kafka topics."""

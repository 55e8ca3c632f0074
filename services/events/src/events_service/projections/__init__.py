"""Read models of the events service, built from Kafka topics."""

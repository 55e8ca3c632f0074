-- docker-compose: the official postgres image runs this once, on an empty volume.
-- One database per service (DESIGN §1): no service reads another's database.
CREATE DATABASE users;
CREATE DATABASE events;
CREATE DATABASE bookings;
CREATE DATABASE payments;
CREATE DATABASE notifications;

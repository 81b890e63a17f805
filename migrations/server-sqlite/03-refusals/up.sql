-- Schema 3: the ops the server refused, with their reasons, so that a push sent
-- again (its answer was lost) gets the same answer: the device learns why each op
-- was refused however many times it had to ask.
CREATE TABLE refused_op (
    device_id  TEXT NOT NULL,
    device_seq INTEGER NOT NULL,
    code       TEXT NOT NULL,
    message    TEXT NOT NULL,
    PRIMARY KEY (device_id, device_seq)
);

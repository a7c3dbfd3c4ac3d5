"""The index function: per-subject, per-day counters from the ratings stream, indices, rankings, hot
words and the public page. Built by the indices issue: each stream record's images carry `paths` (every
subject the rating counts for), `day`, `satisfaction`, `valid` and `tags`, so counting needs no
directory read; the province's IndexRule holds the score table and prior."""

"""The tickets function: bad-rating tickets, their working-day deadlines and the ticket workflow's
callbacks. Built by the tickets issue on the seams the foundation leaves: the ratings stream (each bad
rating names its ticket id, `tk-<rating_id>`, see functions.core.domain.ratings.ticket_id_for), the
province's deadlines (functions.core.domain.province.Deadlines) and infra/topology.py."""

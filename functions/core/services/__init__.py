"""Application services shared by several functions, over ports (no boto3 here): accepting a rating is
the same whether it arrives by POST /v1/ratings or as a reply to an SMS invitation."""

"""Six-role exemplars (六大员评选): campaigns, nominations, qualification, voting, publicity, honours."""

"""The appointments service's web pages: booking, arrivals and check-in, virtual visits."""

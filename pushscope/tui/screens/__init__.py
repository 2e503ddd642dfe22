"""The viewer's screens: the traffic table, an exchange, a finding, help, export."""

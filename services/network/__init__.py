"""The network service: network namespaces (sandboxes); later bridges, IPAM, NAT, DNS."""

"""The job's rules as plain Python: states, the screening chain, confirmation, who may see what, the policy file."""

"""What the tests share: documents at fax resolution, real peers, the running gateway and its people."""

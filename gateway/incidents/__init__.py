"""Wrong sends: reportability, receiver IDs, the fax server's delivery reports, drafts for the officer."""

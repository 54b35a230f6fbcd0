"""Who may be dialled and how: PBX dial plan, the approved speed-dial directory, audit, MFD address books."""

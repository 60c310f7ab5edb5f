# Staff PINs and their lockout arrive with the stamps and points engine (SPEC §2 StaffPin).

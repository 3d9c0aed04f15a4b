"""The Đại sứ số network: mentors, their mentees, help given, households."""

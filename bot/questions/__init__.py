"""Questions residents asked that the assistant could not answer: grouped for staff, answered by staff.

One place for the chat screen (`bot.handlers.staff`), the web console and `bot faq unanswered`.
"""

"""Durable replies: a step's replies are rows of its own transaction, sent afterwards in
each chat's order by :class:`bot.replies.sender.ReplySender`."""

"""The conversations: channel-neutral steps that read a message and return replies.

Handlers ask :mod:`ocop_rules` for every rule and never import a channel, the database
layer or the web app; the engine in :mod:`bot` sends what they return.
"""

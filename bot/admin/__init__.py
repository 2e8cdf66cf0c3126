"""The admin web and API for province and commune staff.

Pages (``/admin``) and the JSON API (``/api/v1``) are two faces of one set of scoped
queries in :mod:`bot.admin.service`: whatever a clerk can do in a browser, a script can do
with a bearer token, and both see only the province or commune of the staff account.
"""

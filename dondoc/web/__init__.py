"""`dondoc web`: the pages where people act (unit heads, leaders, the office, auditors).

Server-rendered Starlette + Jinja2, plain forms without JavaScript. Routes parse the request,
call dondoc.services (which hold every rule, the authorization table included) and render a
template; they decide nothing themselves."""

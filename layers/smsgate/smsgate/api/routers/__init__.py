"""The HTTP API's routes, one Powertools `Router` per resource, composed by
`smsgate.api.routes.create_app`.

Each module's `router()` builds a new router: the local stack runs several resolvers in one
process, and a router included in one must not be shared with another. Each route is thin:
validate, call one service function, shape the answer, and declare what it answers
(`responses=`, built by `smsgate.api.contract`; docs/api.md).
"""

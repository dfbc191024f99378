"""The live path: read-model notifications pushed to GraphQL subscriptions.

`broadcaster` listens on the read model's NOTIFY channel with one connection per process and reads
each new batch of feed rows once; `subscription` holds one subscriber's bounded queue.
"""

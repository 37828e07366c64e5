"""Several Rasa replicas and action servers on one PostgreSQL and one Redis, behind nginx.

Rasa's own production answer to scale: stateless replicas that share a SQL tracker store and
a Redis lock store behind a load balancer. Here, for ``make run-cluster`` and its test:

- ``endpoints.yml`` the replicas' Rasa endpoints: SQL tracker store, Redis lock store;
- ``lock_store.py`` Rasa's Redis lock store made safe for several replicas (atomic tickets);
- ``nginx.py``    writes nginx's configuration (routing, passive health checks, retries);
- ``services.py`` finds PostgreSQL and Redis (the machine's running servers, else local ones
                  started in a scratch directory) and prepares the databases;
- ``run.py``      starts, watches and stops every process (``python -m cluster.run``);
- ``load.py``     a scripted REST load that records which replica answered each message;
- ``bench.py``    the same load against 1, 2 and 3 replicas (``make bench-cluster``).

Only ``lock_store.py`` runs inside the Rasa server (named in ``endpoints.yml``); nothing here
is imported by the action server or the web server.
"""

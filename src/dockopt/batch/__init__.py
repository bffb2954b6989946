"""``dockopt batch``: rewrite the Dockerfiles of a fleet of git repositories.

One module per job:

- :mod:`.discover`: which repositories (under ROOTs, or from a list) and their stable identifiers;
- :mod:`.git`, :mod:`.tracked`, :mod:`.blobs`: git commands, the tracked Dockerfiles, committed contents;
- :mod:`.sources`: a Dockerfile's bytes or why it is skipped (symlink, binary, huge);
- :mod:`.snapshot`: the committed build contexts and configs, for ``--git-branch``;
- :mod:`.repository`: one repository through the rewrite (what a worker runs);
- :mod:`.branch`: the commit on a branch, made with plumbing, never touching the checkout;
- :mod:`.verifying`: ``--verify`` through ``dockopt.verify``;
- :mod:`.runner`, :mod:`.progress`: worker processes and the progress bar;
- :mod:`.records`, :mod:`.totals`, :mod:`.document`, :mod:`.markdown`, :mod:`.summary`: reports;
- :mod:`.shard`: ``--shard K/N``;
- :mod:`.command`: the command line.

See docs/batch.md.
"""

"""The portal's pages, one module per audience; see yongke/portal/urls.py."""

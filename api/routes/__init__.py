"""The read API's routers, one per resource; ``api.app.create_app`` includes them."""

"""The legacy door: the form-post endpoint, its calls, and its XML/JSON/JSONP answers."""

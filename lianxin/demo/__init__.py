"""The demo: Chongzhou (崇州市) as the seed report knew it in 2013–2014, built through the same
services and importers an office uses, so a fresh machine shows a living county."""

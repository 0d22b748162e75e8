from generator.build import BuildOptions, build


def test_minimal_site_builds(site_dir):
    report = build(BuildOptions(site_dir / "content", site_dir / "site"))
    page = (site_dir / "site/launches/2030-03-01-first/index.html").read_text()
    assert "First test launch" in page
    assert report.written.written > 0

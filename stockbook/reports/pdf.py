"""HTML → PDF with WeasyPrint. The CJK font (Noto Sans CJK, Debian fonts-noto-cjk) is installed by the
project's setup (Makefile ``sysdeps``) and found through fontconfig."""


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html).write_pdf()

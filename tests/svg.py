"""Reading pictures back: the text of an SVG."""
import xml.etree.ElementTree as ET


def svg_texts(path) -> set[str]:
    """Every <text> of an SVG (svg.fonttype 'none' keeps each line of text as one)."""
    root = ET.parse(path).getroot()
    return {"".join(t.itertext()).strip() for t in root.iter("{http://www.w3.org/2000/svg}text")}

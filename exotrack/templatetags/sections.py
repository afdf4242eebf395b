from django import template

from exotrack.sections import ShownSection

register = template.Library()


@register.simple_tag(takes_context=True)
def section_render(context: template.Context, section: ShownSection) -> str:
    """Render a section's template with the page's context and the section's own rows on
    top, as `{% include %}` would if it took a dict: the partials keep their variables."""
    # A tag runs inside Template.render, which sets the context's template; the stubs
    # cannot know that a tag's context is always a rendering one.
    partial = context.template.engine.get_template(section.template)  # type: ignore[union-attr]
    with context.push(section.context):
        return partial.render(context)

from django import template

from exotrack.sections import ShownSection

register = template.Library()


@register.simple_tag(takes_context=True)
def section_render(context: template.Context, section: ShownSection) -> str:
    """Render a section's template with the page's context and the section's own rows on
    top, as `{% include %}` would if it took a dict: the partials keep their variables."""
    partial = context.template.engine.get_template(section.template)
    with context.push(section.context):
        return partial.render(context)

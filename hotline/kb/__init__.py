"""Knowledge base (知识库): articles agents answer from, searched in Chinese, shown as hints on the screen-pop."""

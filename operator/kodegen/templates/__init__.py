"""kodegen.templates"""

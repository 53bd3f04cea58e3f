"""kodegen.api"""
